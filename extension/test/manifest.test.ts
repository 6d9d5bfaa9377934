/**
 * What the wallet asks of the browser and exposes to pages, checked on the source manifest
 * and on the built one (`npm test` builds the extension first).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const source = JSON.parse(readFileSync(new URL('manifest.json', root), 'utf8'));
const builtPath = new URL('extension/dist/manifest.json', root);

describe('the extension manifest', () => {
  it('is MV3 with a module service worker and no remote code', () => {
    expect(source.manifest_version).toBe(3);
    expect(source.background).toMatchObject({ type: 'module' });
    const csp: string = source.content_security_policy.extension_pages;
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toMatch(/unsafe-eval|wasm-unsafe-eval|https?:\/\/[^\s;]*\s*;?\s*$/);
  });

  it('lets no other extension or page connect', () => {
    expect(source.externally_connectable).toEqual({ ids: [] });
  });

  it('asks only for the permissions the wallet uses', () => {
    expect([...source.permissions].sort()).toEqual(['alarms', 'unlimitedStorage']);
  });

  it('builds without web-accessible resources, so pages cannot probe for the wallet', () => {
    expect(existsSync(builtPath), 'run `npm run build -w extension` first').toBe(true);
    const built = JSON.parse(readFileSync(builtPath, 'utf8'));
    expect(built.web_accessible_resources ?? []).toEqual([]);
    expect(built.externally_connectable).toEqual({ ids: [] });
    // One self-contained content script file: nothing for it to import at run time.
    const [script] = built.content_scripts;
    expect(script.js).toHaveLength(1);
    const code = readFileSync(new URL(`extension/dist/${script.js[0]}`, root), 'utf8');
    expect(code).not.toMatch(/\bimport\s*\(/);
    expect(code).not.toContain('chrome.runtime.getURL');
  });
});
