"""The course's own examples and empty skeletons, shared by several test modules."""

from clownpiece import Function


class Tanh(Function):
    """The seed's example: forward saves the output, backward is g * (1 - y^2)."""

    @staticmethod
    def forward(ctx, x):
        y = x.tanh()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * (1 - y * y)


class Sigmoid(Function):
    """The logistic function written as a Function (the chapter-1 exercise's answer)."""

    @staticmethod
    def forward(ctx, x):
        y = x.sigmoid()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y * (1 - y)


class ModuleSkeleton:
    """The seed's empty Module skeleton: every method is `pass`."""

    def __init__(self):
        pass

    def __setattr__(self, name, value):
        pass

    def __getattr__(self, name):
        pass

    def register_parameter(self, name, param):
        pass

    def register_buffer(self, name, buffer):
        pass

    def parameters(self, recursive=True):
        pass

    def named_parameters(self, recursive=True):
        pass

    def buffers(self, recursive=True):
        pass

    def named_buffers(self, recursive=True):
        pass

    def modules(self, recursive=True):
        pass

    def named_modules(self, recursive=True):
        pass

    def state_dict(self):
        pass

    def load_state_dict(self, state, strict=True):
        pass

    def __repr__(self):
        pass

    def extra_repr(self):
        return ""
