import { isBuildRunning } from '../api';
import type { EnvironmentsModel } from '../model/environmentsModel';
import { Disposable, type Event, type IDisposable } from '../util/lifecycle';
import type { BuildTracker } from './buildTracker';

/** A connection as far as following its builds goes. */
export interface ModelSource {
  readonly host: string;
  readonly model: EnvironmentsModel;
}

/**
 * The one place where the model and the build tracker meet. A running build the model reads (whoever asked: the
 * tree, the palette's walk, a command) is followed; what the tracker learns of a build is written into the model of
 * its connection, which announces it to the tree. Another connection stops the following of the last one's builds.
 */
export class BuildFollowing extends Disposable {
  private current: { source: ModelSource; subscription: IDisposable } | undefined;

  constructor(
    private readonly tracker: BuildTracker,
    connections: { onDidOpen: Event<ModelSource>; onDidChange: Event<unknown> },
  ) {
    super();
    this.register(connections.onDidOpen((source) => this.attach(source)));
    this.register(connections.onDidChange(() => tracker.clear()));
    this.register(
      tracker.onDidUpdate(({ ref, build }) => {
        if (this.current?.source.host === ref.host) {
          this.current.source.model.updateBuild(ref, build);
        }
      }),
    );
    this.register({ dispose: () => this.current?.subscription.dispose() });
  }

  private attach(source: ModelSource): void {
    this.current?.subscription.dispose();
    const subscription = source.model.onDidLoadBuilds(({ revision, builds }) => {
      for (const build of builds) {
        if (isBuildRunning(build.status)) {
          this.tracker.follow({ host: source.host, ...revision, build: build.id }, build);
        }
      }
    });
    this.current = { source, subscription };
  }
}
