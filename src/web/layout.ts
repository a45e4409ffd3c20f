/**
 * The page frame every screen shares: NHS.UK header with the service name, the signed-in user and
 * a sign-out button, navigation for the user's role, the idle-timeout notice (a warning dialog when
 * JavaScript runs; a plain sentence when it does not), and the footer. Scripts and styles are files
 * only, so the Content Security Policy can forbid inline code.
 */
import { html, type Html, type HtmlValue } from './html.ts';
import type { Role } from '../access/index.ts';

export const SERVICE_NAME = 'One Health and Care';

const NHS_LOGO = html`<svg class="nhsuk-header__logo" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 80" height="40" width="100" focusable="false" role="img" aria-label="NHS"><title>NHS</title><path fill="currentcolor" d="M200 0v80H0V0h200Zm-27.5 5.5c-14.5 0-29 5-29 22 0 10.2 7.7 13.5 14.7 16.3l.7.3c5.4 2 10.1 3.9 10.1 8.4 0 6.5-8.5 7.5-14 7.5s-12.5-1.5-16-3.5L135 70c5.5 2 13.5 3.5 20 3.5 15.5 0 32-4.5 32-22.5 0-19.5-25.5-16.5-25.5-25.5 0-5.5 5.5-6.5 12.5-6.5a35 35 0 0 1 14.5 3l4-13.5c-4.5-2-12-3-20-3Zm-131 2h-22l-14 65H22l9-45h.5l13.5 45h21.5l14-65H64l-9 45h-.5l-13-45Zm63 0h-18l-13 65h17l6-28H117l-5.5 28H129l13.5-65H125L119.5 32h-20l5-24.5Z"/></svg>`;

export interface PageUser {
  name: string;
  role: Role;
  organisationName: string;
  csrfToken: string;
  /** Minutes of inactivity after which the session ends. */
  idleMinutes: number;
}

export interface NavItem { href: string; text: string }

export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  'clinician': 'Clinician',
  'social-care-practitioner': 'Social care practitioner',
  'pals-officer': 'PALS officer',
  'gp-practice-staff': 'GP practice staff',
  'access-to-records': 'Access to records team',
  'ig-officer': 'Information governance officer',
  'caldicott-guardian': 'Caldicott Guardian',
  'siro': 'Senior Information Risk Owner',
  'system-admin': 'System administrator',
  'analyst': 'Analyst',
};

/** What each role's navigation offers: only the pages its job needs. */
export function navigationFor(role: Role): NavItem[] {
  switch (role) {
    case 'clinician':
    case 'social-care-practitioner':
      return [{ href: '/search', text: 'Find a person' }];
    case 'pals-officer':
    case 'gp-practice-staff':
      return [{ href: '/objections', text: 'Objections (opt-out)' }, { href: '/rights', text: 'Rights requests' }];
    case 'access-to-records':
      return [{ href: '/rights/cases', text: 'Rights requests' }];
    case 'analyst':
      return [{ href: '/statistics', text: 'Statistics' }];
    case 'system-admin':
      return [
        { href: '/admin/organisations', text: 'Organisations' }, { href: '/admin/feeds', text: 'Feeds' },
        { href: '/admin/dead-letters', text: 'Dead letters' }, { href: '/admin/users', text: 'Users' },
      ];
    case 'ig-officer':
    case 'caldicott-guardian':
    case 'siro':
      return [{ href: '/audit', text: 'Audit search' }, { href: '/audit/who-viewed', text: 'Who viewed a record' }];
    default:
      return [];
  }
}

export interface PageOptions {
  title: string;
  user?: PageUser | null;
  /** The path of the page, to mark the current navigation item. */
  current?: string;
  beforeContent?: HtmlValue;
  /** Set on pages holding personal data: tells the browser not to keep them. */
  wide?: boolean;
}

function header(o: PageOptions): Html {
  const u = o.user;
  const nav = u ? navigationFor(u.role) : [];
  return html`<header class="nhsuk-header" data-module="nhsuk-header" role="banner">
  <div class="nhsuk-header__container nhsuk-width-container">
    <div class="nhsuk-header__service">
      <a class="nhsuk-header__service-logo" href="/" aria-label="${SERVICE_NAME} homepage">${NHS_LOGO}<span class="nhsuk-header__service-name">${SERVICE_NAME}</span></a>
    </div>
    ${u ? html`<nav class="nhsuk-header__account" aria-label="Account">
      <ul class="nhsuk-header__account-list">
        <li class="nhsuk-header__account-item"><span class="nhsuk-header__account-text">${u.name}, ${ROLE_LABELS[u.role]}, ${u.organisationName}</span></li>
        <li class="nhsuk-header__account-item">
          <form class="nhsuk-header__account-form" action="/sign-out" method="post" novalidate>
            <input type="hidden" name="_csrf" value="${u.csrfToken}">
            <button class="nhsuk-header__account-button" type="submit">Sign out</button>
          </form>
        </li>
      </ul>
    </nav>` : ''}
  </div>
  ${nav.length > 0 ? html`<nav class="nhsuk-header__navigation" aria-label="Menu">
    <div class="nhsuk-header__navigation-container nhsuk-width-container">
      <ul class="nhsuk-header__navigation-list">
        ${nav.map((n) => (o.current === n.href
          ? html`<li class="nhsuk-header__navigation-item nhsuk-header__navigation-item--current"><a class="nhsuk-header__navigation-link" href="${n.href}" aria-current="page"><strong class="nhsuk-header__navigation-item-current-fallback">${n.text}</strong></a></li>`
          : html`<li class="nhsuk-header__navigation-item"><a class="nhsuk-header__navigation-link" href="${n.href}">${n.text}</a></li>`))}
        <li class="nhsuk-header__menu" hidden><button class="nhsuk-header__menu-toggle nhsuk-header__navigation-link" id="toggle-menu" aria-expanded="false" type="button"><span class="nhsuk-u-visually-hidden">Browse </span>More</button></li>
      </ul>
    </div>
  </nav>` : ''}
</header>`;
}

function idleNotice(u: PageUser): Html {
  // The dialog is filled in and shown by app.js two minutes before the session would end.
  return html`<div class="ohc-idle" id="idle-warning" role="alertdialog" aria-modal="true" aria-labelledby="idle-warning-heading" aria-describedby="idle-warning-body" data-idle-minutes="${u.idleMinutes}" hidden>
  <div class="ohc-idle__box">
    <h2 class="nhsuk-heading-m" id="idle-warning-heading">You will be signed out soon</h2>
    <p class="nhsuk-body" id="idle-warning-body">For your security, you will be signed out in <span class="ohc-idle__countdown">2 minutes</span> because you have not done anything for a while.</p>
    <form action="/session/extend" method="post" novalidate>
      <input type="hidden" name="_csrf" value="${u.csrfToken}">
      <button class="nhsuk-button" type="submit" id="idle-stay">Stay signed in</button>
    </form>
  </div>
</div>`;
}

export function page(o: PageOptions, content: HtmlValue): Html {
  const u = o.user;
  return html`<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${o.title} – ${SERVICE_NAME}</title>
  <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
  <meta name="theme-color" content="#005eb8">
  <link rel="icon" href="/assets/images/favicon.svg" sizes="any" type="image/svg+xml">
  <link rel="stylesheet" href="/assets/nhsuk-frontend.min.css">
  <link rel="stylesheet" href="/assets/app.css">
  <script type="module" src="/assets/app.js"></script>
</head>
<body>
  <a class="nhsuk-skip-link" data-module="nhsuk-skip-link" href="#maincontent">Skip to main content</a>
  ${header(o)}
  <div class="nhsuk-width-container">
    ${o.beforeContent ?? ''}
    <main class="nhsuk-main-wrapper" id="maincontent">
      ${content}
    </main>
  </div>
  ${u ? idleNotice(u) : ''}
  <footer class="nhsuk-footer" role="contentinfo">
    <div class="nhsuk-width-container">
      <div class="nhsuk-footer__meta">
        <h2 class="nhsuk-u-visually-hidden">Support links</h2>
        ${u ? html`<p class="nhsuk-body-s">For your security, you will be signed out after ${u.idleMinutes} minutes without activity. Every use of the shared record is recorded.</p>` : ''}
        <p class="nhsuk-body-s">${SERVICE_NAME}: a shared care record for direct care. Synthetic data only.</p>
      </div>
    </div>
  </footer>
</body>
</html>`;
}
