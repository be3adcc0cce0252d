/**
 * Whether SQL text carries a value: a quoted string (also E'', B'', X'', U&''), a dollar-quoted string,
 * or a number standing on its own (not part of an identifier or of a $n placeholder). keel's statements
 * bind their values ($1, $2, …); a statement that inlines one (Sequelize's model reads do, and so does the
 * unit of work's set_config) is recorded without its text, as keel's logs never carry values either.
 */
const LITERAL = /'|\$[A-Za-z_][A-Za-z_0-9]*\$|\$\$|(?<![\w$."])\d/;

export const hasLiterals = (sql: string): boolean => LITERAL.test(sql);

/** The statement's first keyword (SELECT, INSERT, COMMIT, …): its span's name and db.operation.name. */
export function operationOf(sql: string): string {
  const match = /^\s*([A-Za-z]+)/.exec(sql);
  return match?.[1] ? match[1].toUpperCase() : 'SQL';
}
