"""Mistakes in 02_my_linear: registration, layout, bias, devices, initialisation."""

from __future__ import annotations

from autograder.catalogue import Mistake, Replace, Solution, fails

A = "02_my_linear"

WEIGHT = """        self.weight = nn.Parameter(
            torch.empty(out_features, in_features, device=device, dtype=dtype)
        )
"""

MISTAKES = [
    Mistake(
        name="weight_plain_tensor", assignment=A,
        edits=(Replace(WEIGHT, "        self.weight = torch.empty(out_features, in_features, "
                               "device=device, dtype=dtype)\n"),),
        fails=fails(A, "parameters_registered", "state_dict_interchangeable",
                    "forward_and_gradients", "without_bias", "device_and_dtype"),
        feedback="is not an nn.Parameter",
        forbidden_hints=("nn.Parameter(t).to(device)",
                         "pass device=device",
                         "use the attribute names weight and bias")),
    Mistake(
        name="weight_in_out_layout", assignment=A,
        edits=(Replace(WEIGHT, "        self.weight = nn.Parameter(\n            torch.empty("
                               "in_features, out_features, device=device, dtype=dtype)\n"
                               "        )\n"),
               Replace("out = x @ self.weight.T\n", "out = x @ self.weight\n")),
        fails=fails(A, "parameters_registered", "state_dict_interchangeable",
                    "forward_and_gradients", "without_bias", "device_and_dtype"),
        feedback="(out_features, in_features)",
        forbidden_hints=("pass device=device",
                         "pass dtype=dtype",
                         "use the attribute names weight and bias",
                         "no squeeze")),
    Mistake(
        name="bias_false_ignored", assignment=A,
        edits=(Replace("        if bias:\n", "        if True:\n"),),
        fails=fails(A, "without_bias"),
        feedback="self.bias should be None",
        forbidden_hints=("pass device=device",)),
    Mistake(
        name="device_ignored", assignment=A,
        edits=(Replace("torch.empty(out_features, in_features, device=device, dtype=dtype)",
                       "torch.empty(out_features, in_features, dtype=dtype)"),
               Replace("torch.empty(out_features, device=device, dtype=dtype)",
                       "torch.empty(out_features, dtype=dtype)")),
        fails=fails(A, "device_and_dtype"),
        feedback="is on 'cpu' but should be on 'cuda:1'",
        forbidden_hints=("pass dtype=dtype", "device=device, dtype=dtype to torch.empty")),
    Mistake(
        name="dtype_ignored", assignment=A,
        edits=(Replace("torch.empty(out_features, in_features, device=device, dtype=dtype)",
                       "torch.empty(out_features, in_features, device=device)"),
               Replace("torch.empty(out_features, device=device, dtype=dtype)",
                       "torch.empty(out_features, device=device)")),
        fails=fails(A, "device_and_dtype", "forward_and_gradients"),
        feedback="dtype=dtype",
        forbidden_hints=("pass device=device",)),
    Mistake(
        name="parameters_recreated_in_forward", assignment=A,
        edits=(Solution("forward", """
bound = 1.0 / math.sqrt(self.in_features)
self.weight = nn.Parameter(torch.empty_like(self.weight).uniform_(-bound, bound))
out = x @ self.weight.T
if self.bias is not None:
    out = out + self.bias
return out
"""),),
        fails=fails(A, "state_dict_interchangeable", "forward_and_gradients", "without_bias"),
        feedback="MyLinear(x) for x of shape (2, 5, 6) does not match",
        forbidden_hints=("use the attribute names weight and bias", "no squeeze")),
    Mistake(
        name="normal_initialisation", assignment=A,
        edits=(Replace("self.weight.uniform_(-bound, bound)", "self.weight.normal_(0, bound)"),),
        fails=fails(A, "initialisation"),
        feedback="Some weight values are outside",
        forbidden_hints=("none left at 0 or 1",)),
    # The tutorial's device choice instead of the argument: "cpu" here, cuda:0 on a GPU
    # machine (the stand-in puts the inputs on cuda:1).
    Mistake(
        name="device_from_cuda_availability", assignment=A,
        edits=(Replace("torch.empty(out_features, in_features, device=device, dtype=dtype)",
                       "torch.empty(out_features, in_features, dtype=dtype, "
                       "device=\"cuda\" if torch.cuda.is_available() else \"cpu\")"),
               Replace("torch.empty(out_features, device=device, dtype=dtype)",
                       "torch.empty(out_features, dtype=dtype, "
                       "device=\"cuda\" if torch.cuda.is_available() else \"cpu\")")),
        fails=fails(A, "device_and_dtype"),
        feedback="never hard-code 'cpu' or 'cuda'",
        forbidden_hints=("pass dtype=dtype",)),
    # Only the weight honours device=: the bias stays on the CPU and x @ W.T + b mixes.
    Mistake(
        name="bias_without_device", assignment=A,
        edits=(Replace("torch.empty(out_features, device=device, dtype=dtype)",
                       "torch.empty(out_features, dtype=dtype)"),),
        fails=fails(A, "device_and_dtype"),
        feedback="The bias of MyLinear(5, 3, device='cuda:1', dtype=torch.float64) is on 'cpu'",
        forbidden_hints=("The weight of",)),
    # nn.Parameter(t).to(device) returns a plain tensor, so weight is no parameter.
    Mistake(
        name="parameter_moved_after_creation", assignment=A,
        edits=(Replace(WEIGHT, "        self.weight = nn.Parameter(torch.empty(out_features, "
                               "in_features, dtype=dtype)).to(device)\n"),),
        fails=fails(A, "device_and_dtype"),
        feedback="returns a plain tensor",
        forbidden_hints=("wrap the tensor:",)),
    Mistake(
        name="output_squeezed", assignment=A,
        edits=(Replace("        return out\n", "        return out.squeeze()\n"),),
        fails=fails(A, "forward_and_gradients"),
        feedback="for x of shape (1, 6)",
        forbidden_hints=("never create or re-initialise parameters",)),
]

