// Entry of out/main/web.js (`npm run web`).
import { fileURLToPath } from 'node:url';
import { mainWebMode } from './cli';

mainWebMode(process.argv.slice(2), fileURLToPath(new URL('../renderer/', import.meta.url)));
