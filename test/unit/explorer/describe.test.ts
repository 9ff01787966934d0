import assert from 'node:assert/strict';
import type { EnvironmentList } from '../../../src/api';
import manifest from '../../../package.json';
import * as shown from '../../../src/explorer/describe';
import { buildOf, environmentOf } from '../../helpers/models';

const environment = environmentOf;
const build = buildOf;

const noNullText = (text: string | undefined) =>
  assert.ok(!/null|undefined/.test(text ?? ''), `no "null"/"undefined" in ${text}`);

describe('what the tree says about environments and builds', () => {
  it('an environment on a custom Docker image is described as such, never as a base environment', () => {
    const image = environment({ base_environment: null, base_environment_display_name: null });
    assert.equal(shown.environmentKind(image), 'image');
    assert.match(shown.environmentDescription(image), /custom Docker image/);
    assert.doesNotMatch(shown.environmentDescription(image), /base environment|on /);
    assert.equal(shown.environmentHeading(image), 'Environment on a custom Docker image');
    assert.match(shown.foundationSentence(image)!, /custom Docker image: it has no base environment/);
    noNullText(shown.environmentDescription(image));
  });

  it('base environments by `system`, falling back to a null project', () => {
    assert.equal(shown.isBaseEnvironment(environment({ system: true, project: 'demo-project' })), true, 'system wins');
    assert.equal(shown.isBaseEnvironment(environment({ system: false, project: null })), false, 'system wins');
    const legacy = environment({ project: null, base_environment: null });
    delete (legacy as Partial<EnvironmentList>).system;
    assert.equal(shown.isBaseEnvironment(legacy), true, 'no system field: a null project');
    assert.equal(
      shown.environmentDescription(
        environment({ system: true, project: null, base_environment: null, display_name: null }),
      ),
      'base environment · team:data',
    );
  });

  it("a custom environment names its base, with the base's display name in the tooltip", () => {
    assert.match(shown.environmentDescription(environment({})), /^my-env · on python3-12 · team:data$/);
    assert.equal(shown.foundationSentence(environment({})), 'Built on the base environment Python 3.12 (python3-12).');
    assert.equal(
      shown.foundationSentence(environment({ base_environment_display_name: null })),
      'Built on the base environment python3-12.',
    );
  });

  it('null display name, description and labels: the name, nothing, no labels', () => {
    const bare = environment({ display_name: null, description: null, labels: null });
    assert.equal(shown.environmentLabel(bare), 'my-env');
    assert.equal(shown.environmentDescription(bare), 'on python3-12');
    const implicit = environment({ implicit: true, base_environment: null, display_name: null, labels: null });
    assert.equal(shown.environmentKind(implicit), 'implicit');
    assert.equal(shown.environmentDescription(implicit), 'implicit');
  });

  it('build statuses: labels, and menus that offer a cancel only while a cancel can act', () => {
    assert.equal(shown.buildStatusLabel('building'), 'Building');
    assert.equal(shown.buildStatusLabel('cancelled_pending'), 'Cancelling');
    assert.equal(shown.buildStatusLabel('warming_up'), 'Warming up');
    for (const status of ['queued', 'processing', 'building', 'warming_up']) {
      assert.equal(shown.isBuildCancellable(status), true, status);
    }
    for (const status of ['cancelled_pending', 'cancelled', 'success', 'failed']) {
      assert.equal(shown.isBuildCancellable(status), false, status);
    }
    assert.equal(shown.buildContextValue('building'), 'ubiops.build.building');
    assert.equal(shown.buildContextValue('cancelled_pending'), 'ubiops.build.cancelled_pending');
    assert.equal(shown.buildContextValue('warming_up'), 'ubiops.build.processing', 'unknown statuses are running');
    // The manifest's cancel menus match these context values and no others.
    const menus = (manifest.contributes.menus['view/item/context'] as { command: string; when: string }[]).filter(
      (menu) => menu.command === 'ubiops.cancelBuild',
    );
    assert.ok(menus.length > 0);
    for (const menu of menus) {
      const cancelMenu = new RegExp(/viewItem =~ \/(.*)\//.exec(menu.when)![1]);
      for (const status of [
        'queued',
        'processing',
        'building',
        'warming_up',
        'cancelled_pending',
        'cancelled',
        'success',
        'failed',
      ]) {
        assert.equal(
          cancelMenu.test(shown.buildContextValue(status)),
          shown.isBuildCancellable(status),
          `${status} in ${menu.when}`,
        );
      }
    }
  });

  it('build rows with null or absent error and size', () => {
    const failed = build({ status: 'failed', error_message: null, size: undefined });
    assert.equal(shown.buildErrorLine(failed), undefined);
    noNullText(shown.buildDescription(failed));
    assert.match(shown.buildDescription(failed), /^Revision created · /);
    assert.match(
      shown.buildDescription(build({ status: 'failed', error_message: 'Could not\n  find requirements' })),
      /^Could not find requirements · /,
    );
    assert.match(shown.buildDescription(build({ size: 2048 })), /2(\.0)? KiB|2 kB|2\.0 KB/);
    noNullText(shown.buildDescription(build({ size: null, error_message: null })));
    assert.equal(shown.buildErrorLine(build({ status: 'success', error_message: 'ignored' })), undefined);
  });
});
