import { mkdirSync, mkdtempSync, readdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FailoverError } from '../../../src/errors.js';
import { getProperty, readProperties, setProperty, writeAtomically } from '../../../src/steps/propertiesFile.js';

describe('one key of a properties file', () => {
  const text = '# the clients\nclient.id=orders\nbootstrap.servers = a:9092,b:9092\n! old\n#bootstrap.servers=commented:1\nacks: all\n';

  it('reads the three separators and ignores comments; the last assignment wins', () => {
    expect(getProperty(text, 'bootstrap.servers')).toBe('a:9092,b:9092');
    expect(getProperty(text, 'acks')).toBe('all');
    expect(getProperty(text, 'missing')).toBeNull();
    expect(getProperty('k=1\nk=2\n', 'k')).toBe('2');
    expect(getProperty('k 3\n', 'k')).toBe('3');
    // A longer key with the same prefix is another key.
    expect(getProperty('bootstrap.servers.extra=x\n', 'bootstrap.servers')).toBeNull();
    // A space before the colon, no space after it, and a key commented out with '!'.
    expect(getProperty('bootstrap.servers : a:1,b:2', 'bootstrap.servers')).toBe('a:1,b:2');
    expect(getProperty('bootstrap.servers:127.0.0.1:29092\n', 'bootstrap.servers')).toBe('127.0.0.1:29092');
    expect(getProperty('! bootstrap.servers=a:1\nother=x', 'bootstrap.servers')).toBeNull();
  });

  it('rewrites only the key, keeps every other line, and appends when absent', () => {
    const next = setProperty(text, 'bootstrap.servers', 'w:9092');
    expect(next).toBe('# the clients\nclient.id=orders\nbootstrap.servers=w:9092\n! old\n#bootstrap.servers=commented:1\nacks: all\n');
    expect(setProperty('client.id=x\n', 'bootstrap.servers', 'w:1')).toBe('client.id=x\nbootstrap.servers=w:1\n');
    expect(setProperty('', 'k', 'v')).toBe('k=v\n');
  });

  it('removes a key when the value is null (restoring "absent")', () => {
    expect(setProperty('a=1\nk=v\nb=2\n', 'k', null)).toBe('a=1\nb=2\n');
    expect(setProperty('k=v\n', 'k', null)).toBe('');
  });

  it('replaces the file atomically, creating its folder, and leaves no temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'props-'));
    const path = join(dir, 'sub', 'client.properties');
    expect(readProperties(path)).toEqual({ exists: false, text: '' });
    writeAtomically(path, { exists: true, text: 'k=v\n' });
    expect(readFileSync(path, 'utf8')).toBe('k=v\n');
    expect(readdirSync(join(dir, 'sub'))).toEqual(['client.properties']);
    writeAtomically(path, { exists: false, text: '' });
    expect(existsSync(path)).toBe(false);
  });

  it('keeps a file that exists untouched when the value is already there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'props-'));
    const path = join(dir, 'c.properties');
    writeFileSync(path, text);
    expect(setProperty(readProperties(path).text, 'acks', 'all')).toBe(text);
  });

  it('a rename that fails leaves no temporary file, and says which path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'props-'));
    // The route path is a folder with something in it: the rename over it really fails (EISDIR).
    const path = join(dir, 'client.properties');
    mkdirSync(path);
    writeFileSync(join(path, 'keep'), 'x');
    let error: unknown;
    try {
      writeAtomically(path, { exists: true, text: 'bootstrap.servers=w:9092\n' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FailoverError);
    expect((error as FailoverError).message).toBe(`cannot replace ${path}: it is a folder (EISDIR)`);
    expect((error as FailoverError).hint).toMatch(/routing\.switch\.file\.path/);
    expect(readdirSync(dir)).toEqual(['client.properties']);
    expect(readdirSync(path)).toEqual(['keep']);
  });

  it('a route file that cannot be read is named, not thrown as a raw system error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'props-'));
    expect(() => readProperties(dir)).toThrow(FailoverError);
    expect(() => readProperties(dir)).toThrow(`cannot read ${dir}: it is a folder (EISDIR)`);
  });
});
