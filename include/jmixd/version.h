#ifndef JMIXD_VERSION_H
#define JMIXD_VERSION_H
#define JMIXD_VERSION "0.1.0"
#endif
