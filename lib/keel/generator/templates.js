'use strict';
// The generator's templates (templates/*.eta), one per file it writes, rendered with Eta (EJS's tags:
// <%= value %>, <% code %>; -%> drops the line end after a tag). Plain CommonJS, so that
// db:migration:new (new-migration.js) runs it with node alone, as the TypeScript generator does.
const fs = require('node:fs');
const path = require('node:path');
const { Eta } = require('eta');

/**
 * The project's root: the nearest directory above holding .sequelizerc (from the sources, or from dist/).
 * @param {string} from
 * @returns {string}
 */
function projectRoot(from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.sequelizerc'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no .sequelizerc found above ${from}`);
  }
}

// Generated code is not HTML: nothing is escaped, and line ends stay as written unless a tag says -%>.
const eta = new Eta({
  views: path.join(projectRoot(__dirname), 'lib', 'keel', 'generator', 'templates'),
  autoEscape: false,
  autoTrim: false,
});

/** What a tenant's row holds by default and what its policy compares: the transaction's app.tenant_id. */
const TENANT_SETTING = "nullif(current_setting('app.tenant_id', true), '')::uuid";

/**
 * The text of templates/<file>.eta with the data given as `it`.
 * @param {string} file e.g. 'create-table.js'
 * @param {object} data
 * @returns {string}
 */
function render(file, data) {
  return eta.render(`./${file}.eta`, data);
}

module.exports = { projectRoot, render, TENANT_SETTING };
