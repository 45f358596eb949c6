// Preact + htm, the one way pages write markup: html`<div class=${x}>...</div>`.
import { h, render, Fragment } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
export { h, render, Fragment };
export { useState, useEffect, useRef, useMemo, useCallback, useReducer, useLayoutEffect } from 'preact/hooks';
