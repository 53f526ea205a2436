#!/usr/bin/env node
// certgate's executable. Node 24 runs the TypeScript sources directly (type stripping),
// so there is no build step between `npm ci` and running this file.
import { runMain } from '../src/cli/main.ts';

await runMain();
