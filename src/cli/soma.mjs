#!/usr/bin/env node
// The `soma` command's entry: Node runs TypeScript through tsx, then the CLI proper.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./soma.ts');
process.exitCode = await main(process.argv.slice(2));
