'use strict';
// npm run db:migration:new -- <name>: writes db/migrations/<UTC timestamp>-<name>.js. Names are
// kebab-case. create-<table> (create-stock-items: the table stock_items) gets a migration that
// creates that table (create-table-migration.js); any other name, one whose statements you write
// (migration.js): keel does not guess a table from a name.
const fs = require('node:fs');
const path = require('node:path');

/**
 * The project's root: the nearest directory above holding .sequelizerc, whose db/migrations sequelize-cli runs.
 * @param {string} from
 * @returns {string}
 */
function projectRoot(from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.sequelizerc'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no .sequelizerc found above ${from}`);
  }
}

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
const template = fs.readFileSync(path.join(__dirname, table ? 'create-table-migration.js' : 'migration.js'), 'utf8');
const target = path.join(projectRoot(__dirname), 'db', 'migrations', `${stamp}-${name}.js`);
fs.writeFileSync(target, template.replace(/__NAME__/g, name).replace(/__TABLE__/g, table ?? ''), { flag: 'wx' });
process.stdout.write(`created ${path.relative(process.cwd(), target)}\n`);
