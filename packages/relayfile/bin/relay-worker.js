#!/usr/bin/env node
// `factory-relay-worker`: the relay worker as its own process (see README.md). In a clone, run
// `factory relay`, or `node --import ../../scripts/register-workspace-sources.ts src/relay-worker-main.ts`.
import '../dist/relay-worker-main.js';
