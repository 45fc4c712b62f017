import { describe, expect, it } from 'vitest';
import { aptArchive, aptSources, mkosiMirror } from '../../../src/mkosi/mirror.js';

describe('mirror', () => {
  it("gives mkosi's Mirror= without the distribution path, with or without it given", () => {
    expect(mkosiMirror('http://m.example/debian', 'debian')).toBe('http://m.example');
    expect(mkosiMirror('http://m.example/', 'debian')).toBe('http://m.example');
    expect(mkosiMirror('https://m.example/pub/ubuntu', 'ubuntu')).toBe('https://m.example/pub');
    expect(aptArchive('http://m.example/debian', 'debian').security).toBe('http://m.example/debian-security');
  });

  it('writes sources for a Debian release with updates and security, and no debug archive', () => {
    expect(aptSources('http://m.example/debian', 'debian', 'trixie', ['contrib'])).toBe(
      [
        'Types: deb',
        'URIs: http://m.example/debian',
        'Suites: trixie trixie-updates',
        'Components: main contrib',
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
        '',
        'Types: deb',
        'URIs: http://m.example/debian-security',
        'Suites: trixie-security',
        'Components: main contrib',
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
        '',
      ].join('\n'),
    );
  });

  it('has no updates or security suites for unstable', () => {
    const sources = aptSources('http://m.example/debian', 'debian', 'sid', []);
    expect(sources).toContain('Suites: sid\n');
    expect(sources).not.toContain('security');
  });

  it('keeps Ubuntu security pockets in the same archive', () => {
    const sources = aptSources('http://m.example/ubuntu', 'ubuntu', 'noble', ['universe']);
    expect(sources).toContain('Suites: noble noble-updates noble-security\n');
    expect(sources).toContain('ubuntu-archive-keyring.gpg');
  });
});
