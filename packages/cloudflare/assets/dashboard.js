(() => {
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
