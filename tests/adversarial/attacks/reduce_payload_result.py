# target: 02_my_linear
# base: stub
"""Returns objects whose ``__reduce__`` would run code wherever they are unpickled.

``forward`` returns a list holding one, and a dict holding another and a
tensor subclass whose ``__reduce_ex__`` does the same. If the judge ever
unpickled what a sandbox sends, canary files would appear
in the judge's output folder and in /tmp. The wire format carries no
pickle: the values cannot be graded, the checks fail, and no canary exists.
"""
import torch
from torch import nn


class MyLinear(nn.Module):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(out_features, in_features, device=device,
                                               dtype=dtype))
        if bias:
            self.bias = nn.Parameter(torch.zeros(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        raise NotImplementedError("forward is not written yet")


# --- attack ---
_CANARIES = ("@OUT@/torchgrade-canary-@MARKER@-unpickled",
             "/tmp/torchgrade-canary-@MARKER@-unpickled")
_CODE = "".join(f"open({path!r}, 'w').write('ran in the unpickler')\n" for path in _CANARIES)


class _Payload:
    def __reduce__(self):
        return (exec, (_CODE,))


class _PayloadTensor(torch.Tensor):
    def __reduce_ex__(self, protocol):
        return (exec, (_CODE,))


def _payload_forward(self, x):
    return [_Payload(), {"out": x.detach().as_subclass(_PayloadTensor), "extra": _Payload()}]


MyLinear.forward = _payload_forward
