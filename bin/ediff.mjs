#!/usr/bin/env node
// The `ediff` command: loads the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../sdk/cli/main.ts');
