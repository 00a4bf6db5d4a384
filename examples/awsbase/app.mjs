// A Node.js handler in an image of AWS's base-image layout (_HANDLER=app.handler).
// It says who and where it runs, and fails on request so that function errors
// can be seen as the AWS runtime interface client reports them.
export const handler = async (event) => {
        if (event && event.fail) {
                throw new Error("failed on request");
        }
        return {
                message: "Hello from the AWS base-image layout!",
                uid: process.getuid(),
                gid: process.getgid(),
                cwd: process.cwd(),
                event,
        };
};

// Another handler of the same image, for a declaration's "command": ["app.other"].
export const other = async () => ({ message: "the other handler" });
