import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../config/project';
import {
  docsReferences,
  fileSite,
  headingAnchors,
  pageLinkProblems,
  referenceProblem,
  relativeLinks,
  resolveLink,
  type DocSite,
} from '../support/doc-links';

const root = projectRoot();
const site = fileSite(root);
const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', 'coverage']);
const SOURCE_FILE = /\.(?:ts|js|mjs|cjs|cfg)$|^\.env\.example$/;

/** The project's files (relative, forward slashes), without dependencies, build output and dot-directories. */
function projectFiles(dir = ''): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = dir ? `${dir}/${entry.name}` : entry.name;
    if (!entry.isDirectory()) return [file];
    return entry.name.startsWith('.') || SKIPPED_DIRECTORIES.has(entry.name) ? [] : projectFiles(file);
  });
}

const files = projectFiles();
const pages = files.filter((file) => file.endsWith('.md'));
const docPages = pages.filter((file) => file.startsWith('docs/'));

/** Pages held in memory, to show that the checker reports what it must. */
function memorySite(pagesByFile: Record<string, string>, otherFiles: readonly string[] = []): DocSite {
  return {
    exists: (file) => file in pagesByFile || otherFiles.includes(file),
    read: (file) => pagesByFile[file] ?? '',
  };
}

describe('the documentation links', () => {
  it('finds the README and the reference pages in docs/', () => {
    expect(pages).to.include('README.md');
    expect(docPages).to.include.members(['docs/architecture.md', 'docs/configuration.md', 'docs/operations.md', 'docs/benchmarks.md']);
  });

  it('leads from the README to every page of docs/', () => {
    const linked = new Set(relativeLinks(site, 'README.md').map((target) => resolveLink('README.md', target).file));

    expect(docPages.filter((page) => !linked.has(page))).to.deep.equal([]);
  });

  it('resolves every relative link and anchor of every markdown page to an existing file and heading', () => {
    const problems = pages.flatMap((page) => pageLinkProblems(site, page));

    expect(problems).to.deep.equal([]);
  });

  it('resolves every docs/ page and section a source file cites', () => {
    const sources = files.filter((file) => SOURCE_FILE.test(path.posix.basename(file)));
    const cited = sources.flatMap((file) => docsReferences(site.read(file)).map((reference) => ({ file, reference })));
    const problems = cited.flatMap(({ file, reference }) => referenceProblem(site, file, `/${reference}`) ?? []);

    expect(cited.map(({ reference }) => reference)).to.include('docs/operations.md#http-timeouts');
    expect(problems).to.deep.equal([]);
  });

  describe('the checker', () => {
    const guide = ['# Guide', '', '## Getting started', '', '## Getting started', '', "## What's `DB_POOL_MAX`?", ''].join('\n');

    it("makes GitHub's anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered", () => {
      expect([...headingAnchors(guide)]).to.deep.equal(['guide', 'getting-started', 'getting-started-1', 'whats-db_pool_max']);
    });

    it('reports a missing file, a missing anchor and a path out of the project, and nothing that resolves', () => {
      const readme = [
        '[ok](guide/intro.md#getting-started-1) [ok](#top) [ok](guide/intro.md) [web](https://example.com/x.md)',
        '[gone](guide/missing.md) [bad anchor](guide/intro.md#using-every-core) [outside](../elsewhere/notes.md)',
        '`[in code](nowhere.md)`',
        '```',
        '[in a block](nowhere.md)',
        '```',
        '# Top',
      ].join('\n');
      const memory = memorySite({ 'README.md': readme, 'guide/intro.md': guide });

      expect(pageLinkProblems(memory, 'README.md')).to.deep.equal([
        'README.md: guide/missing.md points to guide/missing.md, which does not exist',
        'README.md: guide/intro.md#using-every-core: guide/intro.md has no heading with the anchor #using-every-core',
        'README.md: ../elsewhere/notes.md points outside the project',
      ]);
    });

    it('resolves a link relative to the page that holds it', () => {
      const memory = memorySite({ 'guide/a.md': '[up](../README.md#keel) [beside](b.cfg)', 'README.md': '# keel' }, ['guide/b.cfg']);

      expect(pageLinkProblems(memory, 'guide/a.md')).to.deep.equal([]);
      expect(pageLinkProblems(memory, 'README.md')).to.deep.equal([]);
    });
  });
});
