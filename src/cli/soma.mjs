#!/usr/bin/env node
// The `soma` command's entry: Node runs TypeScript through tsx, then the CLI proper.
import { register } from 'tsx/esm/api';

register();
// A reader that goes away early (`soma generate ... | head`) ends the command quietly, as for any Unix tool.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import('./soma.ts');
process.exitCode = await main(process.argv.slice(2));
