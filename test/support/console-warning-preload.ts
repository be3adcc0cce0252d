// Preloaded into bin/www by test/system/boot.test.ts (NODE_OPTIONS=--require): a library writing with
// console.warn once the process runs, as Sequelize does when a COMMIT fails, and one emitting a
// deprecation warning. setImmediate: after bin/www's main module has run its synchronous start, where
// the logger is made.
setImmediate(() => {
  console.warn('a library warns: %s', 'careful');
  process.emitWarning('a library is deprecated', { type: 'DeprecationWarning', code: 'LIBRARY_OLD' });
});
