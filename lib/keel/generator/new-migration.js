'use strict';
// npm run db:migration:new -- <name>: writes db/migrations/<UTC timestamp>-<name>.js. Names are
// kebab-case. create-<table> (create-stock-items: the table stock_items) gets a migration that
// creates that table (templates/create-table.js.eta, the one generate:resource fills with its
// fields); any other name, one whose statements you write (templates/change.js.eta): keel does not
// guess a table from a name.
const fs = require('node:fs');
const path = require('node:path');
const { projectRoot, render, TENANT_SETTING } = require('./templates');

const USAGE =
  'usage: npm run db:migration:new -- <kebab-case-name>\n' +
  '  create-<table>  a new table: create-widgets, create-stock-items (table stock_items)\n' +
  '  anything else   a change you write: add-colour-to-widgets\n';

const name = process.argv[2];
if (!name || !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const table = /^create-(.+)$/.exec(name)?.[1]?.replace(/-/g, '_');
if (table !== undefined && !/^[a-z]/.test(table)) {
  process.stderr.write(`a table name starts with a letter, not "${table}"\n${USAGE}`);
  process.exit(2);
}
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const text = table
  ? render('create-table.js', {
      name,
      table,
      purpose: 'describe what this table holds and why.',
      tenant: false,
      tenantSetting: TENANT_SETTING,
      fields: [],
      references: [],
    })
  : render('change.js', { name });
// The project npm runs the script in: the working directory's.
const target = path.join(projectRoot(process.cwd()), 'db', 'migrations', `${stamp}-${name}.js`);
fs.writeFileSync(target, text, { flag: 'wx' });
process.stdout.write(`created ${path.relative(process.cwd(), target)}\n`);
