"""The smallest outside backend: the reference's own loops, run on the whole job at once."""
from xorbench import Backend
from xorbench.impls import python_impl


class TinyBackend(Backend):
    name = "tiny"
    equivalence = "bitwise"
    description = "an outside package's backend (the reference's loops)"

    def _train(self, job, losses):
        w1, w2 = job.w1.tolist(), job.w2.tolist()
        b1 = None if job.b1 is None else job.b1.tolist()
        b2 = None if job.b2 is None else job.b2.tolist()
        history = [0.0] * len(losses)
        final = python_impl.train(job.X.tolist(), job.Y.tolist(), w1, b1, w2, b2, job.epochs, job.lr,
                                  job.loss == "mse", job.record_every, history)
        job.w1[...], job.w2[...], losses[...] = w1, w2, history
        if b1 is not None:
            job.b1[...], job.b2[...] = b1, b2
        return final

    def _predict(self, job, out):
        params = [None if a is None else a.tolist() for a in (job.w1, job.b1, job.w2, job.b2)]
        out[...] = [python_impl.forward(x, *params)[1] for x in job.X.tolist()]
