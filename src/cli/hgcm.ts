#!/usr/bin/env node
// The `hgcm` executable: the command line (main.ts) run as a process (process.ts).
import { mainCli } from './main.js';
import { runAsProcess } from './process.js';

runAsProcess(() => mainCli(process.argv.slice(2)));
