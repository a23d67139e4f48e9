#!/usr/bin/env node
// Runs the TypeScript CLI directly: swarmlab is a development tool, and
// skipping a build step keeps `npx swarmlab` and the sources in step.
import { register } from 'tsx/esm/api';

register();
await import('../harness/cli.ts');
