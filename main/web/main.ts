// Entry of out/main/web.js (`npm run web`).
import { mainWebMode } from './cli';

mainWebMode(process.argv.slice(2));
