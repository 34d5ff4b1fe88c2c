#!/usr/bin/env node
// The compiled entry; `npm install` builds it (prepare script).
import { main } from '../dist/cli/main.js';

await main();
