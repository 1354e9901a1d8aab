/* localizes <time data-local> to the reader */
