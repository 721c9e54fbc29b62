#!/usr/bin/env node
// The `reflex` command. Needs Node 22 or newer; `npm run reflex -- …` uses the project's own Node 24.
'use strict';
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `reflex needs Node.js 22 or newer (this is ${process.version}). Run it as 'npm run reflex -- <command>', which uses the project's Node 24.`,
  );
  process.exit(1);
}
require('../dist/cli/main.js');
