// Progressive enhancement only: every page works without this file.
// Starts the NHS.UK frontend components, then warns before the session's idle timeout ends it.
import { initAll } from './nhsuk-frontend.min.js';

document.body.classList.add('js-enabled');
if ('noModule' in HTMLScriptElement.prototype) document.body.classList.add('nhsuk-frontend-supported');
initAll();

const dialog = document.getElementById('idle-warning');
if (dialog) {
  const idleMs = Number(dialog.getAttribute('data-idle-minutes') || '30') * 60000;
  const warnMs = Math.min(120000, idleMs / 2);
  const countdown = dialog.querySelector('.ohc-idle__countdown');
  const stay = document.getElementById('idle-stay');
  const form = stay ? stay.closest('form') : null;
  let lastActivity = Date.now();
  let previousFocus = null;
  const tick = () => {
    const left = idleMs - (Date.now() - lastActivity);
    if (left <= 0) {
      window.location.assign('/sign-in?reason=idle');
      return;
    }
    if (left <= warnMs) {
      if (dialog.hidden) {
        previousFocus = document.activeElement;
        dialog.hidden = false;
        if (stay) stay.focus();
      }
      const secs = Math.ceil(left / 1000);
      if (countdown) countdown.textContent = secs > 60 ? `${Math.ceil(secs / 60)} minutes` : `${secs} seconds`;
    }
  };
  setInterval(tick, 1000);
  if (form) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      fetch('/session/extend', { method: 'POST', body: new URLSearchParams(new FormData(form)), credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then((r) => {
          if (!r.ok) throw new Error('session ended');
          lastActivity = Date.now();
          dialog.hidden = true;
          if (previousFocus && previousFocus.focus) previousFocus.focus();
        })
        .catch(() => window.location.assign('/sign-in?reason=idle'));
    });
  }
  dialog.addEventListener('keydown', (event) => {
    // The dialog holds one control: keep keyboard focus on it while it is open.
    if (event.key === 'Tab' && stay) {
      event.preventDefault();
      stay.focus();
    }
  });
}
