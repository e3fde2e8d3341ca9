#!/usr/bin/env node
// The `hgcm` executable.
import { mainCli } from './main.js';

process.exitCode = await mainCli(process.argv.slice(2));
