#!/usr/bin/env node
import { runCrit } from './main.js';

process.exitCode = await runCrit(process.argv.slice(2));
