#!/usr/bin/env node
import { runCrit } from './main.js';

process.exitCode = runCrit(process.argv.slice(2));
