/**
 * Display and speech settings, kept on this device (localStorage) so they are set once, and
 * applied as attributes on <html> (the CSS owns the look; the CSP forbids inline styles).
 * @module settings
 */

const KEY = "mbc.settings";
const CHOICES = { size: ["100", "125", "150", "200"], rate: ["80", "100", "120"] };
const SWITCHES = ["contrast", "readAloud", "keepListening"];

let current = { size: "100", rate: "100", contrast: false, readAloud: false, keepListening: false };

/** The settings in force (a copy). */
export const settings = () => ({ ...current });

function apply() {
  const root = document.documentElement;
  root.dataset.size = current.size;
  if (current.contrast) root.dataset.theme = "contrast";
  else delete root.dataset.theme;
}

/**
 * Loads and applies the settings, and keeps them in step with the form.
 * @param {Record<string, HTMLSelectElement|HTMLInputElement>} form by setting name
 */
export function initSettings(form) {
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(KEY)) || {};
  } catch {
    /* blocked or broken: the defaults */
  }
  for (const [name, allowed] of Object.entries(CHOICES)) {
    if (allowed.includes(String(saved[name]))) current[name] = String(saved[name]);
    form[name].value = current[name];
  }
  for (const name of SWITCHES) form[name].checked = current[name] = saved[name] === true;
  apply();
  const update = () => {
    for (const name of Object.keys(CHOICES)) current[name] = form[name].value;
    for (const name of SWITCHES) current[name] = form[name].checked;
    apply();
    try {
      localStorage.setItem(KEY, JSON.stringify(current));
    } catch {
      /* private mode: for this visit only */
    }
  };
  for (const control of Object.values(form)) control.addEventListener("change", update);
}
