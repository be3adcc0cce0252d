// What a PromQL expression reads: its series selectors (metric name and label matchers) and the labels it
// groups or matches by. promtool checks the syntax; this only has to find names in an expression that
// parses, so a tokenizer is enough: no precedence, no types.

export interface LabelMatcher {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

export interface Selector {
  /** Undefined for a selector of matchers only, e.g. {__name__=~"..."}. */
  readonly metric: string | undefined;
  readonly matchers: readonly LabelMatcher[];
}

export interface ExpressionNames {
  readonly selectors: readonly Selector[];
  /** Labels named in by, without, on, ignoring, group_left and group_right. */
  readonly groupingLabels: readonly string[];
}

type Token = { kind: 'ident' | 'string' | 'number' | 'op' | 'punct'; text: string };

const TOKEN =
  /\s+|#[^\n]*|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`|(?<number>0x[0-9a-f]+|\d+(?:\.\d*)?(?:e[+-]?\d+)?[a-z]*|\.\d+)|(?<ident>[a-z_:][a-z0-9_:]*)|(?<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=])|(?<punct>[{}()[\],@])/giy;
const KEYWORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan']);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** A keyword, or a function or aggregation's name: followed by its arguments, or by `by`/`without` (sum by (a) (x)). */
const isOperatorName = (text: string, next: Token | undefined): boolean =>
  KEYWORDS.has(text.toLowerCase()) || GROUPING.has(text) || next?.text === '(' || next?.text === 'by' || next?.text === 'without';

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(expr);
    if (!match) throw new Error(`cannot read PromQL at ${at}: ${expr.slice(at, at + 20)}`);
    const text = match[0];
    const { number, ident, op, punct } = match.groups ?? {};
    if (/^["'`]/.test(text)) tokens.push({ kind: 'string', text: unquote(text) });
    else if (number !== undefined) tokens.push({ kind: 'number', text });
    else if (ident !== undefined) tokens.push({ kind: 'ident', text });
    else if (op !== undefined) tokens.push({ kind: 'op', text });
    else if (punct !== undefined) tokens.push({ kind: 'punct', text });
  }
  return tokens;
}

const unquote = (literal: string): string =>
  literal.startsWith('`')
    ? literal.slice(1, -1)
    : (JSON.parse(`"${literal.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) as string);

/** The label matchers of a `{...}` starting at tokens[start]; returns them and the index after the `}`. */
function readMatchers(tokens: Token[], start: number): { matchers: LabelMatcher[]; next: number } {
  const matchers: LabelMatcher[] = [];
  let index = start + 1;
  while (tokens[index]?.text !== '}') {
    const [label, op, value] = [tokens[index], tokens[index + 1], tokens[index + 2]];
    if (label?.kind !== 'ident' || op?.kind !== 'op' || value?.kind !== 'string') throw new Error('malformed label matcher');
    matchers.push({ label: label.text, op: op.text as LabelMatcher['op'], value: value.text });
    index += 3;
    if (tokens[index]?.text === ',') index += 1;
  }
  return { matchers, next: index + 1 };
}

/** The selectors and grouping labels of one PromQL expression. */
export function expressionNames(expr: string): ExpressionNames {
  const tokens = tokenize(expr);
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  let index = 0;
  while (index < tokens.length) {
    const token = tokens[index] as Token;
    const next = tokens[index + 1];
    if (token.text === '[') {
      // A range or subquery: durations only.
      while (index < tokens.length && tokens[index]?.text !== ']') index += 1;
      index += 1;
    } else if (token.kind === 'ident' && GROUPING.has(token.text) && next?.text === '(') {
      index += 2;
      for (; tokens[index]?.text !== ')'; index += 1)
        if (tokens[index]?.kind === 'ident') groupingLabels.push((tokens[index] as Token).text);
      index += 1;
    } else if (token.kind === 'ident' && isOperatorName(token.text, next)) {
      index += 1; // an operator keyword, or a function or aggregation's name
    } else if (token.kind === 'ident' || token.text === '{') {
      const metric = token.kind === 'ident' ? token.text : undefined;
      const braceAt = metric === undefined ? index : index + 1;
      if (tokens[braceAt]?.text === '{') {
        const { matchers, next: after } = readMatchers(tokens, braceAt);
        selectors.push({ metric, matchers });
        index = after;
      } else {
        selectors.push({ metric, matchers: [] });
        index += 1;
      }
    } else index += 1;
  }
  return { selectors, groupingLabels };
}
