// Where a run's soft targets come from (--teacher-weight α): a byte 5-gram fitted on the training
// text (src/train/teacher.ts), or with --teacher FILE an earlier SOMA model (model-teacher.ts). And
// how the weights' provenance says so: soft targets are not SPSA.
import type { SomaFile } from '../model/format';
import { TEACHER } from '../train/teacher';
import { UsageError } from './args';
import { loadWeights } from './node-engine';

/** A run's model teacher, as run.json keeps it: a resumed run reloads it from its path and checks it is the same file. */
export interface TeacherModelRecord {
  path: string;
  sha256: string;
  steps: number; // its provenance's SPSA steps and training bytes
  tokens: number;
}

/** The model teacher of a run: the file given now (--teacher), else the one the run recorded, else none. */
export async function teacherModel(given: string | undefined, recorded: TeacherModelRecord | undefined): Promise<{ record: TeacherModelRecord; file: SomaFile } | null> {
  const path = given ?? recorded?.path;
  if (!path) return null;
  const file = await loadWeights(path);
  if (!given && file.sha256 !== recorded!.sha256) throw new UsageError(`--resume: the run's teacher ${path} has changed (sha256 ${file.sha256.slice(0, 12)}, the run had ${recorded!.sha256.slice(0, 12)}); give --teacher FILE`);
  return { record: { path, sha256: file.sha256, steps: file.provenance.steps, tokens: file.provenance.tokens }, file };
}

/** The teacher in words, for the provenance: what it is, a detail after its weight, and a short name for the softTargets field. */
export function describeTeacher(model: TeacherModelRecord | undefined): { source: string; detail: string; short: string } {
  if (!model)
    return {
      source: `the distribution of a byte ${TEACHER.order}-gram Kneser-Ney model`,
      detail: `, cross-fitted over ${TEACHER.folds} folds of the training text so that it never teaches on bytes it counted`,
      short: `a byte ${TEACHER.order}-gram Kneser-Ney model, cross-fitted over ${TEACHER.folds} folds`,
    };
  const id = model.sha256.slice(0, 12);
  return {
    source: `the next-byte distribution of an earlier SOMA model (sha256 ${id}…, ${model.steps} SPSA steps over ${model.tokens} bytes)`,
    detail: ', run over the same streams; that model was trained by SPSA on this corpus, so it is not cross-fitted',
    short: `an earlier SOMA model (${id}), trained by SPSA`,
  };
}
