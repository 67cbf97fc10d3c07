// The built-in `sys` package, written in VSQL and compiled together with every app. It is a TS
// string (not a .vsql file read from disk) so the compiler runs unchanged in a browser.
//
// What VSQL cannot say is added by the analyser (see analyser-tables.ts): the system fields
// (`sys.ID`, `sys.IsActive`, `sys.ParentID`, `sys.Container`, `sys.QName`) have dotted names no
// field declaration can spell, so the root tables below are declared empty and the analyser gives
// every table the system fields of its kind.

export const SYS_PACKAGE_PATH = 'stoa/sys';

export const SYS_VSQL = `-- Built-in package sys: root tables, system workspaces, roles, storages and builtin functions.

EXTENSION ENGINE BUILTIN (
    STORAGE Record(
        GET SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS),
        GETBATCH SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS),
        INSERT SCOPE(COMMANDS),
        UPDATE SCOPE(COMMANDS)
    ) ENTITY RECORD;
    STORAGE View(
        GET SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS),
        GETBATCH SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS),
        READ SCOPE(QUERIES, PROJECTORS, JOBS),
        INSERT SCOPE(PROJECTORS, JOBS),
        UPDATE SCOPE(PROJECTORS, JOBS)
    ) ENTITY VIEW;
    STORAGE Uniq(
        GET SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS)
    ) ENTITY RECORD;
    STORAGE WLog(
        GET SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS),
        READ SCOPE(QUERIES, PROJECTORS, JOBS)
    );
    STORAGE AppSecret(
        GET SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS)
    );
    STORAGE RequestSubject(
        GET SCOPE(COMMANDS, QUERIES)
    );
    STORAGE Http(
        READ SCOPE(QUERIES, PROJECTORS, JOBS)
    );
    STORAGE FederationCommand(
        GET SCOPE(QUERIES, PROJECTORS, JOBS)
    );
    STORAGE FederationBlob(
        READ SCOPE(QUERIES, PROJECTORS, JOBS)
    );
    STORAGE SendMail(
        GET SCOPE(PROJECTORS, JOBS),
        INSERT SCOPE(PROJECTORS, JOBS)
    );
    STORAGE Result(
        INSERT SCOPE(COMMANDS, QUERIES)
    );
    STORAGE Response(
        INSERT SCOPE(COMMANDS, QUERIES)
    );
    STORAGE Event(
        GET SCOPE(PROJECTORS)
    );
    STORAGE CommandContext(
        GET SCOPE(COMMANDS)
    );
    STORAGE QueryContext(
        GET SCOPE(QUERIES)
    );
    STORAGE JobContext(
        GET SCOPE(JOBS)
    );
    STORAGE Logger(
        INSERT SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS)
    );
);

-- The root of every workspace: every other workspace inherits it implicitly.
ABSTRACT WORKSPACE Workspace (
    -- Roots of the table kinds; the analyser adds the system fields of each kind.
    ABSTRACT TABLE CRecord ();
    ABSTRACT TABLE WRecord ();
    ABSTRACT TABLE ORecord ();
    ABSTRACT TABLE CDoc ();
    ABSTRACT TABLE WDoc ();
    ABSTRACT TABLE ODoc ();
    ABSTRACT TABLE CSingleton INHERITS CDoc ();
    ABSTRACT TABLE WSingleton INHERITS WDoc ();

    -- Common fields of every workspace descriptor (the kind-specific fields come from DESCRIPTOR).
    ABSTRACT TABLE WorkspaceDescriptor INHERITS CSingleton (
        OwnerWSID int64,
        OwnerLogin varchar(256),
        WSName varchar(255),
        WSKind qname,
        CreatedAt timestamp,
        Status int32
    );

    -- A member of the workspace: a login with its roles (comma-separated role QNames).
    TABLE Subject INHERITS CDoc (
        Login varchar(256) NOT NULL,
        SubjectKind int32 NOT NULL,
        Roles varchar(1024) NOT NULL,
        ProfileWSID int64,
        UNIQUE (Login)
    );

    -- An invitation of a login (by e-mail) to join the workspace with roles.
    TABLE Invite INHERITS CDoc (
        Email varchar(256) NOT NULL,
        Roles varchar(1024) NOT NULL,
        State int32 NOT NULL,
        ExpireAt timestamp,
        SubjectID ref(Subject)
    );

    -- A workspace created inside this one (USE WORKSPACE).
    TABLE ChildWorkspace INHERITS CDoc (
        WSName varchar(255) NOT NULL,
        WSKind qname NOT NULL,
        WSID int64,
        WSError varchar(1024),
        UNIQUE (WSName)
    );

    -- A stored binary object; blob fields are references to it.
    TABLE BLOB INHERITS WDoc (
        Status int32 NOT NULL,
        Name varchar(255),
        MimeType varchar(255),
        Size int64
    );

    ROLE Everyone;
    ROLE Anonymous;
    ROLE AuthenticatedUser;
    ROLE System;
    ROLE ProfileOwner;
    ROLE WorkspaceDevice;
    ROLE WorkspaceOwner;
    ROLE WorkspaceAdmin;
    ROLE ClusterAdmin;
    ROLE BLOBUploader;

    EXTENSION ENGINE BUILTIN (
        -- Raw create/update of records; each CUD is checked against the ACL of its table.
        COMMAND CUD();
        -- The first event of every workspace (creates the descriptor).
        COMMAND Init();
    );

    GRANT Everyone TO Anonymous;
    GRANT Everyone TO AuthenticatedUser;
    GRANT WorkspaceOwner TO ProfileOwner;
    GRANT WorkspaceOwner TO WorkspaceDevice;
    GRANT BLOBUploader TO WorkspaceOwner;
    GRANT EXECUTE ON COMMAND CUD TO AuthenticatedUser;
);

-- App workspaces: one per partition; logins, WSID allocation and jobs live here.
ALTERABLE WORKSPACE AppWorkspaceWS (
    DESCRIPTOR AppWorkspace (
        PartitionCount int32
    );

    TABLE Login INHERITS CDoc (
        Login varchar(256) NOT NULL,
        SubjectKind int32 NOT NULL,
        PasswordHash bytes(1024),
        ProfileWSID int64,
        DisplayName varchar(255),
        UNIQUE (Login)
    );
);

ABSTRACT WORKSPACE ProfileWS (
    -- Common base of user and device profiles.
);

ALTERABLE WORKSPACE UserProfileWS INHERITS ProfileWS (
    DESCRIPTOR UserProfile (
        DisplayName varchar(255)
    );
);

ALTERABLE WORKSPACE DeviceProfileWS INHERITS ProfileWS (
    DESCRIPTOR DeviceProfile (
        DisplayName varchar(255)
    );
);
`;
