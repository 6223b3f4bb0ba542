// Start-up: create the engine client and mount the app.
import { EngineClient } from './engine/client';
import './ui/soma-app';
import type { SomaApp } from './ui/soma-app';

const app = document.querySelector('soma-app') as SomaApp;
app.engine = new EngineClient();
