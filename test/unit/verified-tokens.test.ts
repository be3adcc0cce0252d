import { expect } from 'chai';
import type { Caller } from '../../lib/keel/auth/caller';
import { VerifiedTokens } from '../../lib/keel/auth/verified-tokens';

const NOW_MS = Date.UTC(2026, 11, 7, 12);
const callerFor = (user: string): Caller => ({
  user,
  tenant: undefined,
  scopes: new Set(),
  claims: { sub: user, exp: NOW_MS / 1000 + 3600 },
  expiresAt: NOW_MS + 3_600_000,
});

describe('VerifiedTokens', () => {
  it('keeps the tokens it remembers within a total of characters, forgetting the least recently used first', () => {
    const cache = new VerifiedTokens(100, 30, 10_000);
    cache.get('first', NOW_MS, 1);
    cache.set('a', callerFor('a'), 1, 4_000);
    cache.set('b', callerFor('b'), 1, 4_000);
    cache.get('a', NOW_MS, 1);

    cache.set('c', callerFor('c'), 1, 4_000);

    expect(cache.get('b', NOW_MS, 1), 'the least recently used made room').to.equal(undefined);
    expect(cache.get('a', NOW_MS, 1)?.user).to.equal('a');
    expect(cache.get('c', NOW_MS, 1)?.user).to.equal('c');
    expect(cache.size).to.equal(2);
  });

  it('remembers no token longer than the whole budget, and forgets none for it', () => {
    const cache = new VerifiedTokens(100, 30, 10_000);
    cache.get('first', NOW_MS, 1);
    cache.set('a', callerFor('a'), 1, 4_000);

    cache.set('huge', callerFor('huge'), 1, 10_001);

    expect(cache.get('huge', NOW_MS, 1)).to.equal(undefined);
    expect(cache.get('a', NOW_MS, 1)?.user).to.equal('a');
  });

  it('frees the characters of what it forgets when the key set changes', () => {
    const cache = new VerifiedTokens(100, 30, 10_000);
    cache.get('first', NOW_MS, 1);
    cache.set('a', callerFor('a'), 1, 9_000);
    cache.get('a', NOW_MS, 2);

    cache.set('b', callerFor('b'), 2, 9_000);

    expect(cache.get('b', NOW_MS, 2)?.user).to.equal('b');
  });
});
