#!/usr/bin/env node
import { runCrit } from './main.js';

void runCrit(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
