/**
 * NHS.UK frontend components as functions returning safe HTML: the markup the design system's
 * styles and scripts expect, with error states wired to their fields for screen readers.
 */
import { html, type Html, type HtmlValue } from './html.ts';

export interface FieldError { readonly field: string; readonly message: string }

export function errorFor(errors: readonly FieldError[], field: string): string | undefined {
  return errors.find((e) => e.field === field)?.message;
}

export function errorSummary(errors: readonly FieldError[]): Html {
  if (errors.length === 0) return html``;
  return html`<div class="nhsuk-error-summary" data-module="nhsuk-error-summary" tabindex="-1">
  <div role="alert"><h2 class="nhsuk-error-summary__heading">There is a problem</h2>
    <div class="nhsuk-error-summary__body"><ul class="nhsuk-list nhsuk-error-summary__list">
      ${errors.map((e) => html`<li><a href="#${e.field}">${e.message}</a></li>`)}
    </ul></div></div></div>`;
}

function errorMessage(id: string, message: string | undefined): Html {
  return message ? html`<span class="nhsuk-error-message" id="${id}-error"><span class="nhsuk-u-visually-hidden">Error: </span>${message}</span>` : html``;
}

function describedBy(id: string, hint: string | undefined, error: string | undefined): string | undefined {
  const ids = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter((x): x is string => x !== null);
  return ids.length > 0 ? ids.join(' ') : undefined;
}

export interface InputOptions {
  id: string;
  name?: string;
  label: string;
  /** Renders the label as the page's h1. */
  labelIsHeading?: boolean;
  hint?: string;
  value?: string;
  error?: string;
  type?: 'text' | 'password' | 'date' | 'email';
  inputmode?: 'numeric' | 'text';
  autocomplete?: string;
  width?: 2 | 3 | 4 | 5 | 10 | 20 | 30;
  spellcheck?: boolean;
}

export function input(o: InputOptions): Html {
  const by = describedBy(o.id, o.hint, o.error);
  const label = html`<label class="nhsuk-label${o.labelIsHeading ? ' nhsuk-label--l' : ''}" for="${o.id}">${o.label}</label>`;
  return html`<div class="nhsuk-form-group${o.error ? ' nhsuk-form-group--error' : ''}">
  ${o.labelIsHeading ? html`<h1 class="nhsuk-label-wrapper">${label}</h1>` : label}
  ${o.hint ? html`<div class="nhsuk-hint" id="${o.id}-hint">${o.hint}</div>` : ''}
  ${errorMessage(o.id, o.error)}
  <input class="nhsuk-input${o.width ? ` nhsuk-input--width-${o.width}` : ''}${o.error ? ' nhsuk-input--error' : ''}" id="${o.id}" name="${o.name ?? o.id}" type="${o.type ?? 'text'}"${o.value !== undefined ? html` value="${o.value}"` : ''}${o.inputmode ? html` inputmode="${o.inputmode}"` : ''}${o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ''}${o.spellcheck === false ? html` spellcheck="false"` : ''}${by ? html` aria-describedby="${by}"` : ''}>
</div>`;
}

export function textarea(o: { id: string; label: string; hint?: string; value?: string; error?: string; rows?: number }): Html {
  const by = describedBy(o.id, o.hint, o.error);
  return html`<div class="nhsuk-form-group${o.error ? ' nhsuk-form-group--error' : ''}">
  <label class="nhsuk-label" for="${o.id}">${o.label}</label>
  ${o.hint ? html`<div class="nhsuk-hint" id="${o.id}-hint">${o.hint}</div>` : ''}
  ${errorMessage(o.id, o.error)}
  <textarea class="nhsuk-textarea${o.error ? ' nhsuk-textarea--error' : ''}" id="${o.id}" name="${o.id}" rows="${o.rows ?? 5}"${by ? html` aria-describedby="${by}"` : ''}>${o.value ?? ''}</textarea>
</div>`;
}

export interface RadioItem { value: string; text: string; hint?: string }

export function radios(o: { id: string; name?: string; legend: string; legendIsHeading?: boolean; hint?: string; items: readonly RadioItem[]; value?: string; error?: string }): Html {
  const by = describedBy(o.id, o.hint, o.error);
  return html`<div class="nhsuk-form-group${o.error ? ' nhsuk-form-group--error' : ''}">
  <fieldset class="nhsuk-fieldset"${by ? html` aria-describedby="${by}"` : ''}>
    <legend class="nhsuk-fieldset__legend${o.legendIsHeading ? ' nhsuk-fieldset__legend--l' : ' nhsuk-fieldset__legend--s'}">
      ${o.legendIsHeading ? html`<h1 class="nhsuk-fieldset__heading">${o.legend}</h1>` : o.legend}
    </legend>
    ${o.hint ? html`<div class="nhsuk-hint" id="${o.id}-hint">${o.hint}</div>` : ''}
    ${errorMessage(o.id, o.error)}
    <div class="nhsuk-radios" data-module="nhsuk-radios">
      ${o.items.map((item, i) => {
        const id = i === 0 ? o.id : `${o.id}-${i + 1}`;
        return html`<div class="nhsuk-radios__item">
        <input class="nhsuk-radios__input" id="${id}" name="${o.name ?? o.id}" type="radio" value="${item.value}"${o.value === item.value ? html` checked` : ''}${item.hint ? html` aria-describedby="${id}-item-hint"` : ''}>
        <label class="nhsuk-label nhsuk-radios__label" for="${id}">${item.text}</label>
        ${item.hint ? html`<div class="nhsuk-hint nhsuk-radios__hint" id="${id}-item-hint">${item.hint}</div>` : ''}
      </div>`;
      })}
    </div>
  </fieldset>
</div>`;
}

export function select(o: { id: string; label: string; items: readonly { value: string; text: string }[]; value?: string; error?: string }): Html {
  return html`<div class="nhsuk-form-group${o.error ? ' nhsuk-form-group--error' : ''}">
  <label class="nhsuk-label" for="${o.id}">${o.label}</label>
  ${errorMessage(o.id, o.error)}
  <select class="nhsuk-select${o.error ? ' nhsuk-select--error' : ''}" id="${o.id}" name="${o.id}"${o.error ? html` aria-describedby="${o.id}-error"` : ''}>
    ${o.items.map((i) => html`<option value="${i.value}"${o.value === i.value ? html` selected` : ''}>${i.text}</option>`)}
  </select>
</div>`;
}

export function dateInput(o: { id: string; legend: string; hint?: string; value?: { day?: string; month?: string; year?: string }; error?: string }): Html {
  const by = describedBy(o.id, o.hint, o.error);
  const part = (name: 'day' | 'month' | 'year', label: string, width: 2 | 4) => html`<div class="nhsuk-date-input__item"><div class="nhsuk-form-group">
      <label class="nhsuk-label nhsuk-date-input__label" for="${o.id}-${name}">${label}</label>
      <input class="nhsuk-input nhsuk-date-input__input nhsuk-input--width-${width}${o.error ? ' nhsuk-input--error' : ''}" id="${o.id}-${name}" name="${o.id}-${name}" type="text" inputmode="numeric" value="${o.value?.[name] ?? ''}">
    </div></div>`;
  return html`<div class="nhsuk-form-group${o.error ? ' nhsuk-form-group--error' : ''}">
  <fieldset class="nhsuk-fieldset" role="group"${by ? html` aria-describedby="${by}"` : ''}>
    <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">${o.legend}</legend>
    ${o.hint ? html`<div class="nhsuk-hint" id="${o.id}-hint">${o.hint}</div>` : ''}
    ${errorMessage(o.id, o.error)}
    <div class="nhsuk-date-input" id="${o.id}">${part('day', 'Day', 2)}${part('month', 'Month', 2)}${part('year', 'Year', 4)}</div>
  </fieldset>
</div>`;
}

export function button(text: string, o: { secondary?: boolean; warning?: boolean; name?: string; value?: string } = {}): Html {
  const cls = o.warning ? ' nhsuk-button--warning' : o.secondary ? ' nhsuk-button--secondary' : '';
  return html`<button class="nhsuk-button${cls}" data-module="nhsuk-button" type="submit"${o.name ? html` name="${o.name}" value="${o.value ?? ''}"` : ''}>${text}</button>`;
}

/** A POST form carrying the session's CSRF token. */
export function form(action: string, csrf: string, body: HtmlValue, o: { novalidate?: boolean; className?: string } = {}): Html {
  return html`<form action="${action}" method="post"${o.novalidate === false ? '' : html` novalidate`}${o.className ? html` class="${o.className}"` : ''}>
  <input type="hidden" name="_csrf" value="${csrf}">
  ${body}
</form>`;
}

export function summaryList(rows: readonly { key: string; value: HtmlValue }[]): Html {
  return html`<dl class="nhsuk-summary-list">${rows.map((r) => html`<div class="nhsuk-summary-list__row">
    <dt class="nhsuk-summary-list__key">${r.key}</dt><dd class="nhsuk-summary-list__value">${r.value}</dd></div>`)}</dl>`;
}

export function table(o: { caption: string; captionHidden?: boolean; head: readonly string[]; rows: readonly (readonly HtmlValue[])[]; empty?: string }): Html {
  if (o.rows.length === 0) return html`<p class="nhsuk-body">${o.empty ?? 'None.'}</p>`;
  return html`<table class="nhsuk-table">
  <caption class="nhsuk-table__caption${o.captionHidden ? ' nhsuk-u-visually-hidden' : ''}">${o.caption}</caption>
  <thead class="nhsuk-table__head"><tr>${o.head.map((h) => html`<th scope="col" class="nhsuk-table__header">${h}</th>`)}</tr></thead>
  <tbody class="nhsuk-table__body">${o.rows.map((r) => html`<tr class="nhsuk-table__row">${r.map((c) => html`<td class="nhsuk-table__cell">${c}</td>`)}</tr>`)}</tbody>
</table>`;
}

export function insetText(body: HtmlValue): Html {
  return html`<div class="nhsuk-inset-text"><span class="nhsuk-u-visually-hidden">Information: </span>${body}</div>`;
}

export function warningCallout(heading: string, body: HtmlValue): Html {
  return html`<div class="nhsuk-warning-callout"><h3 class="nhsuk-warning-callout__label"><span role="text"><span class="nhsuk-u-visually-hidden">Important: </span>${heading}</span></h3>${body}</div>`;
}

export function tag(text: string, colour?: 'grey' | 'green' | 'red' | 'orange' | 'yellow' | 'blue' | 'white'): Html {
  return html`<strong class="nhsuk-tag${colour ? ` nhsuk-tag--${colour}` : ''}">${text}</strong>`;
}

export function backLink(href: string, text = 'Back'): Html {
  return html`<a class="nhsuk-back-link" href="${href}">${text}</a>`;
}
