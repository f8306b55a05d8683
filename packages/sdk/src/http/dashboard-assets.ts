import { DASHBOARD_ASSET_TYPES, type DashboardAssets } from './dashboard-asset-source.ts';

/**
 * The dashboard's two static assets. The CSP allows scripts and styles from 'self' only, so they are
 * served as files (`/t/:tenant/dashboard.css`, `/t/:tenant/dashboard.js`), never inline. Colours keep
 * a contrast of at least 4.5:1 on their background; below 640px tables become stacked cards.
 */
export const DASHBOARD_STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fff}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.2rem;align-items:center;padding:.6rem 1rem;border-bottom:1px solid #ddd}
header form{margin-left:auto}nav a{margin-right:.8rem}nav a[aria-current]{font-weight:600;color:#1d1d1f}.brand{margin:0}
main{padding:0 1rem 2rem;max-width:1200px}h1{font-size:1.4rem;margin:.8rem 0 .2rem}h2{font-size:1.05rem;margin-top:1.5rem}
a{color:#0b57d0}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e3e3e3;vertical-align:top}
.count,.meta,.ev{color:#595959;font-weight:normal}.empty{color:#595959}.ok{color:#137333}.bad{color:#b3261e}
.counts{display:grid;grid-template-columns:repeat(auto-fill,minmax(8.5rem,1fr));gap:.5rem;list-style:none;padding:0;margin:0}
.counts a{display:block;padding:.5rem .7rem;border:1px solid #ddd;border-radius:8px;color:#1d1d1f;text-decoration:none}
.counts a:hover{border-color:#0b57d0}.n{display:block;font-size:2rem;font-weight:650;font-variant-numeric:tabular-nums;line-height:1.1}
#attention ul{padding-left:1.1rem}#attention li{margin:.35rem 0}.action{display:block;color:#1d1d1f;font-style:italic}
#filter{display:flex;flex-wrap:wrap;gap:.4rem .8rem;align-items:end;margin:.8rem 0}#filter input,#filter select{font:inherit;padding:.2rem .3rem}
button{font:inherit;padding:.2rem .7rem}time{font-variant-numeric:tabular-nums}
ol.timeline{padding-left:1.2rem}ol.timeline li{margin:.2rem 0}blockquote{margin:.4rem 0;padding:.3rem .8rem;border-left:3px solid #0b57d0;background:#f4f7fc}
.links{display:flex;flex-wrap:wrap;gap:.4rem 1rem;list-style:none;padding:0}.status{font-weight:600}
.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.5rem;list-style:none;padding:0}
.stats li{border:1px solid #ddd;border-radius:8px;padding:.5rem .7rem}
.windows{display:flex;gap:.8rem;list-style:none;padding:0}.windows a[aria-current]{font-weight:600;color:#1d1d1f}
figure{margin:1rem 0;max-width:760px}figcaption{font-weight:600}svg{display:block;width:100%;height:auto}
.bar{fill:#0b57d0}.bar.fail{fill:#b3261e}.line{fill:none;stroke:#0b57d0;stroke-width:2}.line.p90{stroke:#b3261e;stroke-dasharray:5 3}
.axis{stroke:#8a8a8a}circle.line{fill:#0b57d0;stroke:none}circle.p90{fill:#b3261e}.tick{fill:#595959;font-size:11px}.legend{font-size:.9rem;color:#595959}.legend .p90,.legend .fail{color:#b3261e}
@media (max-width:640px){body{font-size:16px}table,thead,tbody,tr,td,th{display:block}thead{display:none}
tr{border-bottom:1px solid #ddd;padding:.4rem 0}td{border:0;padding:.1rem 0}header form{margin-left:0}}
`;

/**
 * The dashboard's script: asks the page's data endpoint every 2 s with the ETag it last saw; only when
 * the answer changed does it fetch the page again and swap the live content. Keeps times relative and
 * says when the server was last heard from (or that it is not answering).
 */
export const DASHBOARD_SCRIPT = `(() => {
  const content = document.getElementById('content');
  const heard = document.getElementById('heard');
  if (!content || !heard) return;
  // The page says which version of its data it shows, so a change made while it loaded is not missed.
  let etag = content.dataset.etag || null;
  let lastHeard = Date.now();
  let trouble = '';
  const units = [[86400000, 'd'], [3600000, 'h'], [60000, 'min'], [1000, 's']];
  const relative = (at) => {
    const delta = at - Date.now();
    const size = Math.abs(delta);
    if (size < 5000) return 'just now';
    const [unit, name] = units.find(([ms]) => size >= ms) || units[3];
    const amount = Math.floor(size / unit);
    return delta < 0 ? amount + ' ' + name + ' ago' : 'in ' + amount + ' ' + name;
  };
  const relabel = () => {
    for (const time of document.querySelectorAll('time[datetime]')) {
      const at = Date.parse(time.getAttribute('datetime'));
      if (!Number.isNaN(at)) time.textContent = relative(at);
    }
    const exact = new Date(lastHeard).toISOString();
    heard.innerHTML = '';
    heard.append(trouble ? trouble + ' Last heard from the server ' : 'Live: last heard from the server ');
    const time = document.createElement('time');
    time.dateTime = exact;
    time.title = exact;
    time.id = 'last-heard';
    time.textContent = relative(lastHeard);
    heard.append(time);
    heard.className = trouble ? 'meta bad' : 'meta';
  };
  const swap = async () => {
    const response = await fetch(location.href, { headers: { accept: 'text/html' }, cache: 'no-store', credentials: 'same-origin' });
    if (!response.ok) return;
    const next = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById('content');
    if (!next) return;
    const open = new Set([...content.querySelectorAll('details[open]')].map((d) => d.id));
    content.innerHTML = next.innerHTML;
    for (const id of open) if (id) document.getElementById(id)?.setAttribute('open', '');
  };
  const poll = async () => {
    try {
      const response = await fetch(content.dataset.poll, {
        headers: etag ? { 'if-none-match': etag } : {},
        cache: 'no-store',
        credentials: 'same-origin',
      });
      if (response.status === 401) trouble = 'Signed out: reload to sign in again.';
      else if (response.status !== 200 && response.status !== 304) trouble = 'The server answered ' + response.status + '.';
      else {
        trouble = '';
        lastHeard = Date.now();
        const tag = response.headers.get('etag');
        if (response.status === 200 && etag !== null && tag !== etag) await swap();
        if (tag) etag = tag;
      }
    } catch {
      trouble = 'The server is not answering.';
    }
    relabel();
  };
  poll();
  setInterval(poll, 2000);
})();
`;

/** Every dashboard asset's content, by name: what a runtime serving them as static files must hold. */
export const DASHBOARD_ASSET_FILES = {
  'dashboard.css': DASHBOARD_STYLE,
  'dashboard.js': DASHBOARD_SCRIPT,
} as const;

/** The app's own copies of the dashboard's assets, served from memory (Node, Lambda). */
export const inlineDashboardAssets: DashboardAssets = (name) =>
  new Response(DASHBOARD_ASSET_FILES[name], { headers: { 'content-type': DASHBOARD_ASSET_TYPES[name] } });
