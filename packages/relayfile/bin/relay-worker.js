#!/usr/bin/env node
// `factory-relay-worker`: the relay worker as its own process (see README.md). In a clone, run
// `factory relay` or `node --conditions=@software-factory/source src/relay-worker-main.ts` instead.
import '../dist/relay-worker-main.js';
