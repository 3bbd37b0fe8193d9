#!/usr/bin/env node
// pos-reader: the reader diagnostics CLI (drivers/cli/pos-reader.ts), run through tsx so the
// TypeScript sources need no build step.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../drivers/cli/pos-reader.ts', import.meta.url).href);
