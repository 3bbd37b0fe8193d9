// Electron main process entry (filled in by the shell work).
import { app } from 'electron';

void app.whenReady();
