'use strict';
// npm run db:migration:new -- <name>: writes db/migrations/<UTC timestamp>-<name>.js from the
// template beside this file. Names are kebab-case; the table name is the name's last word.
const fs = require('node:fs');
const path = require('node:path');

const name = process.argv[2];
if (!name || !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) {
  process.stderr.write('usage: npm run db:migration:new -- <kebab-case-name>   (e.g. create-widgets)\n');
  process.exit(2);
}
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const table = name.split('-').slice(-1)[0] ?? name;
const template = fs.readFileSync(path.join(__dirname, 'migration.js'), 'utf8');
const target = path.join(__dirname, '..', 'migrations', `${stamp}-${name}.js`);
fs.writeFileSync(target, template.replace(/__NAME__/g, name).replace(/__TABLE__/g, table), { flag: 'wx' });
process.stdout.write(`created ${path.relative(process.cwd(), target)}\n`);
