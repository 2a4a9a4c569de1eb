/** The dataset choice in words, as the overview shows it. */
import * as vscode from 'vscode';
import type { DatasetChoice } from '../services';

export function datasetText(choice: DatasetChoice): string {
  const where = vscode.workspace.asRelativePath(choice.path, false);
  return `${where} (at most ${choice.maxSamples.toLocaleString('en-US')} samples)`;
}
