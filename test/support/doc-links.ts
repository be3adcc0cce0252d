import fs from 'node:fs';
import path from 'node:path';

/** Where the checked pages live: paths are relative to the project root, with forward slashes. */
export interface DocSite {
  exists(file: string): boolean;
  read(file: string): string;
}

export function fileSite(root: string): DocSite {
  return {
    exists: (file) => fs.existsSync(path.join(root, file)),
    read: (file) => fs.readFileSync(path.join(root, file), 'utf8'),
  };
}

const FENCED_BLOCK = /^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^ {0,3}\1[^\n]*$|(?![\s\S]))/gm;
const INLINE_CODE = /(`+)[\s\S]*?\1/g;
const INLINE_LINK = /\[[^\]\n]*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/gm;
const HEADING = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/gm;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

const withoutFencedBlocks = (markdown: string): string => markdown.replace(FENCED_BLOCK, '');

/**
 * GitHub's anchor for a heading: the rendered text in lower case, punctuation and symbols dropped
 * (hyphens and underscores kept), each space a hyphen; a repeated anchor gets -1, -2, ...
 */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of withoutFencedBlocks(markdown).matchAll(HEADING)) {
    const text = (heading ?? '')
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .replace(/[`*]/g, '');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Link targets of a page, outside code blocks and code spans (which show syntax, not links). */
export function linkTargets(markdown: string): string[] {
  const prose = withoutFencedBlocks(markdown).replace(INLINE_CODE, 'code');
  return [...prose.matchAll(INLINE_LINK), ...prose.matchAll(REFERENCE_DEFINITION)].map((match) => match[1] ?? '');
}

/** Where a relative link from the page `from` leads: a file relative to the root ('..' when it leaves the project), and its anchor. */
export function resolveLink(from: string, target: string): { file: string; anchor?: string } {
  const hash = target.indexOf('#');
  const file = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
  const resolved =
    file === '' ? from : path.posix.normalize(file.startsWith('/') ? file.slice(1) : path.posix.join(path.posix.dirname(from), file));
  const outside = resolved === '..' || resolved.startsWith('../');
  return { file: outside ? '..' : resolved, ...(hash === -1 ? {} : { anchor: decodeURIComponent(target.slice(hash + 1)) }) };
}

/**
 * What is wrong with one link from `from` (a file relative to the root) to `target` (a relative
 * path, or /path from the root, with or without a #anchor): a path that leaves the project, a file
 * that does not exist, or an anchor that no heading of the target page makes. Undefined when it resolves.
 */
export function referenceProblem(site: DocSite, from: string, target: string): string | undefined {
  const { file, anchor } = resolveLink(from, target);
  if (file === '..') return `${from}: ${target} points outside the project`;
  if (!site.exists(file)) return `${from}: ${target} points to ${file}, which does not exist`;
  if (anchor === undefined) return undefined;
  if (!file.endsWith('.md')) return `${from}: ${target} has an anchor into ${file}, which is not a markdown page`;
  if (!headingAnchors(site.read(file)).has(anchor)) return `${from}: ${target}: ${file} has no heading with the anchor #${anchor}`;
  return undefined;
}

/** The relative link targets of a page; links with a scheme (https:, mailto:) are not followed. */
export function relativeLinks(site: DocSite, file: string): string[] {
  return linkTargets(site.read(file)).filter((target) => !SCHEME.test(target));
}

/** Problems of every relative link of the page `file`. */
export function pageLinkProblems(site: DocSite, file: string): string[] {
  return relativeLinks(site, file).flatMap((target) => referenceProblem(site, file, target) ?? []);
}

/** A page of docs/ (with or without a #anchor) named in a source file, e.g. a comment citing a section. */
export function docsReferences(source: string): string[] {
  return [...source.matchAll(/\bdocs\/[\w-]+\.md(?:#[\w-]+)?/g)].map((match) => match[0]);
}
