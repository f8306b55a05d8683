import { describe, expect, it } from 'vitest';
import { scopesToRequest } from '../src/index.ts';

describe('scopesToRequest', () => {
  it('asks for what is held plus what is missing, so reconnecting does not drop a held scope', () => {
    const request = scopesToRequest(
      ['chat:write', 'channels:history'],
      { state: 'missing-scopes', missing: ['channels:history'], grantedScopes: ['chat:write', 'users:read'] },
      'slack',
    );
    expect(request.scopes).toEqual(['chat:write', 'users:read', 'channels:history']);
    expect(request.missing).toEqual(['channels:history']);
    expect(request.explanation).toBe(
      'slack lacks channels:history; connect again to grant channels:history, keeping chat:write, users:read (requesting chat:write, users:read, channels:history)',
    );
  });

  it('trusts the status when the vendor did not report what is held', () => {
    const request = scopesToRequest(
      ['read', 'write'],
      { state: 'missing-scopes', missing: ['write'] },
      'linear',
    );
    expect(request.scopes).toEqual(['read', 'write']);
    expect(request.missing).toEqual(['write']);
    expect(request.explanation).toBe(
      'linear lacks write; connect again to grant write (requesting read, write)',
    );
  });

  it('adds required scopes the status did not name but the grant lacks', () => {
    const request = scopesToRequest(['repo', 'read:org'], {
      state: 'missing-scopes',
      missing: ['repo'],
      grantedScopes: ['gist'],
    });
    expect(request.missing).toEqual(['repo', 'read:org']);
    expect(request.scopes).toEqual(['gist', 'repo', 'read:org']);
  });

  it('requests the required scopes for a provider that is not connected at all', () => {
    const request = scopesToRequest(
      ['repo'],
      { state: 'needs-auth', reason: 'no GitHub token is configured' },
      'github',
    );
    expect(request).toEqual({
      scopes: ['repo'],
      missing: ['repo'],
      explanation: 'github is not connected; connecting will request repo',
    });
  });

  it('has nothing to add for a connection that holds every required scope', () => {
    const request = scopesToRequest(
      ['read', 'write'],
      { state: 'connected', grantedScopes: ['read', 'write', 'admin'] },
      'linear',
    );
    expect(request.missing).toEqual([]);
    expect(request.scopes).toEqual(['read', 'write', 'admin']);
    expect(request.explanation).toBe('linear already holds every required scope (read, write)');
  });

  it('never repeats a scope', () => {
    const request = scopesToRequest(['a', 'b', 'a'], {
      state: 'missing-scopes',
      missing: ['b', 'b'],
      grantedScopes: ['a'],
    });
    expect(request.scopes).toEqual(['a', 'b']);
    expect(request.missing).toEqual(['b']);
  });
});
