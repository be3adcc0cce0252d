// Written by hand, not by npm run generate:example: what the example's generated tests import as
// '../support/examples', as a project's import keel's test/support/examples.ts.
export { requiredExample } from '../../../examples';
