/**
 * Not a page: it exists so the build writes dist/webview/codicons.css (and the font beside it),
 * which pages with `<vscode-icon>` link with the id `vscode-codicon-stylesheet`.
 */
import '@vscode/codicons/dist/codicon.css';
